"""Builds the Cython codec; a failed build fails the install (no silent fallback).

Set PGDBAPI_NO_EXT=1 to install the pure-Python twin only.
"""

import os

from setuptools import Extension, setup

ext_modules = []
if os.environ.get("PGDBAPI_NO_EXT") != "1":
    from Cython.Build import cythonize

    ext_modules = cythonize(
        [Extension("pgdbapi._codec", ["pgdbapi/_codec.pyx"], extra_compile_args=["-O2"])],
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )

setup(ext_modules=ext_modules)
