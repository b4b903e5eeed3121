"""Recommendations: implicit ALS on interactions, baselines, offline evaluation. No serving code here."""
