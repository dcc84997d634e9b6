"""Audio in: decoding files, recording, cutting into model chunks, the fbank front end."""
