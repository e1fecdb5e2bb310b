"""Calibration of the instruments and the rubric judge against human-labelled data.

The data (EPITOME, PAIR, Welivita & Pu) is read at run time from a directory outside the
repository (default ../shared/data); none of it is copied, committed or shipped. Modules:
datasets (readers), metrics (agreement figures with bootstrap CIs), scorers (what is scored),
judge (a single-reply rubric judge), evaluate (figures per data set), metamorphic (failure
injection with the deterministic transforms) and report (calibration.json / calibration.md).
"""
