"""Material for tests and benchmarks alike: rendered piano takes (fluidsynth), performances with
controlled flaws, and transcription scoring. Not used by any command."""
