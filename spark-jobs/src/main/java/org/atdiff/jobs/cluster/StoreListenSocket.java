package org.atdiff.jobs.cluster;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

/**
 * A listening TCP socket bound to one address (never the wildcard) on a free port, whose file descriptor is handed
 * over to c10d's {@code TCPStore} server ({@code TCPStoreOptions.masterListenFd}). Without it the store would listen
 * on all interfaces. After {@link #handOver()} the store owns and closes the descriptor; Java no longer does.
 *
 * <p>Reads the descriptor through {@code sun.nio.ch}, which needs {@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED}
 * (a flag Spark on Java 17 needs anyway).
 */
final class StoreListenSocket implements AutoCloseable {
    private final ServerSocketChannel channel;
    private final String host;
    private final int port;
    private boolean handedOver;

    /** Binds a new socket to {@code host} on a port the kernel picks. */
    StoreListenSocket(String host) throws IOException {
        InetAddress address = InetAddress.getByName(host);
        if (address.isAnyLocalAddress()) {
            throw new IllegalArgumentException("store host '" + host + "' is the wildcard address; give the executor's own address");
        }
        this.channel = ServerSocketChannel.open();
        try {
            channel.bind(new InetSocketAddress(address, 0), 128);
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot bind the rendezvous store to " + host + ": " + e.getMessage(), e);
        }
        this.host = host;
        this.port = ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    /** Returns the descriptor and stops Java from ever closing it: its new owner is the native store. */
    int handOver() {
        if (handedOver) throw new IllegalStateException("store socket on port " + port + " was already handed over");
        try {
            Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
            Method getFd = selCh.getMethod("getFD");
            Method getFdVal = selCh.getMethod("getFDVal");
            getFd.setAccessible(true);
            getFdVal.setAccessible(true);
            int fd = (Integer) getFdVal.invoke(channel);
            FileDescriptor descriptor = (FileDescriptor) getFd.invoke(channel);
            Method setFdVal = Class.forName("sun.nio.ch.IOUtil").getDeclaredMethod("setfdVal", FileDescriptor.class, int.class);
            setFdVal.setAccessible(true);
            setFdVal.invoke(null, descriptor, -1);
            handedOver = true;
            return fd;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot take the store socket's descriptor from Java; run the JVM with "
                    + "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED (" + e + ")", e);
        }
    }

    /** Closes the socket unless it was handed over (then the store closes it). */
    @Override
    public void close() throws IOException {
        if (!handedOver) channel.close();
    }
}
