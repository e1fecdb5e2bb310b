"""Judges that are language models: rubric, structured and probability judges, tension points, pairwise."""
