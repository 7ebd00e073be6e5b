"""Telling people what needs them: e-mail notifications and digests, and a personal calendar feed."""
