"""Fault, crash, concurrency and bad-input suites (issue 7): KetaWatch keeps working and loses
nothing. See docs/reliability.md for what is promised and the figures of a --long run.
"""
