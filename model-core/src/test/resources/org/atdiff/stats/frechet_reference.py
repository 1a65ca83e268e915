"""Reference squared Frechet distance computed the way pytorch-fid does it (re-implemented from the formula).

d^2 = |mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr(sqrtm(S1 S2))   (Dowson and Landau 1982; Heusel et al. 2017)
with scipy.linalg.sqrtm of the non-symmetric product; when that root is not finite, eps * I is added to both
covariances and the root taken again; a complex root is accepted only if its diagonal is real to 1e-3.
Usage: frechet_reference.py A.npz B.npz  (each with float64 arrays 'mu' [d] and 'sigma' [d, d]); prints d^2.
"""
import sys

import numpy as np
from scipy import linalg


def frechet(mu1, s1, mu2, s2, eps=1e-6):
    diff = mu1 - mu2
    root, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(root).all():
        offset = np.eye(s1.shape[0]) * eps
        root = linalg.sqrtm((s1 + offset).dot(s2 + offset))
    if np.iscomplexobj(root):
        if not np.allclose(np.diagonal(root).imag, 0, atol=1e-3):
            raise ValueError("imaginary component %g" % np.max(np.abs(root.imag)))
        root = root.real
    return diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(root)


a = np.load(sys.argv[1])
b = np.load(sys.argv[2])
print(repr(float(frechet(a["mu"], a["sigma"], b["mu"], b["sigma"]))))
