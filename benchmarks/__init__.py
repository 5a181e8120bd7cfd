"""Benchmarks of whautochat_async against its floor, run as ``python -m benchmarks``.

Every figure is a ratio measured within one run (client and baseline interleaved), so
a noisy shared machine slows both sides alike. See ``benchmarks/RESULTS.md``.
"""
