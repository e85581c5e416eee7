"""soundfile.read(path, dtype="float32", always_2d=True) for a machine without python3-soundfile.

The same C library (libsndfile) through ctypes, so the tutorial's per-item decoding costs
what it costs with soundfile. Set SNDFILE_LIBRARY to a libsndfile.so.1 outside the
loader's path.
"""
import ctypes
import ctypes.util
import os

import numpy

_lib = ctypes.CDLL(os.environ.get("SNDFILE_LIBRARY") or ctypes.util.find_library("sndfile") or "libsndfile.so.1")


class _Info(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]


_SFM_READ = 0x10
_lib.sf_open.restype = ctypes.c_void_p
_lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(_Info)]
_lib.sf_readf_float.restype = ctypes.c_int64
_lib.sf_readf_float.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
_lib.sf_close.argtypes = [ctypes.c_void_p]
_lib.sf_strerror.restype = ctypes.c_char_p
_lib.sf_strerror.argtypes = [ctypes.c_void_p]


def read_audio(path):
    """(frames x channels float32 array, sample rate)."""
    info = _Info()
    handle = _lib.sf_open(os.fsencode(path), _SFM_READ, ctypes.byref(info))
    if not handle:
        raise RuntimeError(f"{path}: {_lib.sf_strerror(None).decode()}")
    try:
        out = numpy.empty((max(info.frames, 0), info.channels), dtype=numpy.float32)
        read = _lib.sf_readf_float(handle, out.ctypes.data, info.frames)
        return out[:read], info.samplerate
    finally:
        _lib.sf_close(handle)
