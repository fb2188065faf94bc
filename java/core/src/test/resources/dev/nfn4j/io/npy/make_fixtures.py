"""Writes the .npy/.npz fixtures NpyTest reads, with numpy itself (run: python3 make_fixtures.py).

Values are simple so the test can restate them: see NpyTest.readsFilesWrittenByNumpy.
"""
import numpy as np
from numpy.lib import format as npf


def save(name, arr, version=None):
    with open(name, "wb") as f:
        npf.write_array(f, arr, version=version)


a23 = (np.arange(6, dtype="<f4") * 0.5 - 1).reshape(2, 3)
save("f4_2x3_v1.npy", a23, (1, 0))
save("f4_2x3_v2.npy", a23, (2, 0))
save("f4_2x3_v3.npy", a23, (3, 0))
save("f4_2x3_be.npy", a23.astype(">f4"))
save("f8_5.npy", np.array([np.pi, -1e300, 0.0, 1.0, 5e-324], dtype="<f8"))
save("f8_5_be.npy", np.array([np.pi, -1e300, 0.0, 1.0, 5e-324], dtype=">f8"))
save("f4_scalar.npy", np.array(3.5, dtype="<f4"))
save("f4_0x4.npy", np.zeros((0, 4), dtype="<f4"))
save("f4_fortran.npy", np.asfortranarray(a23))
save("i8_3.npy", np.arange(3, dtype="<i8"))
np.savez("arrays.npz", a=a23, b=np.array([1.5, -2.0], dtype="<f8"))
np.savez_compressed("arrays_compressed.npz", a=a23, b=np.array([1.5, -2.0], dtype="<f8"))
