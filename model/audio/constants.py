"""Every audio constant of the model, in one place. Derived values are computed, never retyped."""

SAMPLE_RATE = 32_000  # Hz, what the AudioMAE front end expects
N_MELS = 128
FRAME_SHIFT_MS = 10
FRAME_LENGTH_MS = 25
HOP = SAMPLE_RATE * FRAME_SHIFT_MS // 1000  # 320 samples
WIN = SAMPLE_RATE * FRAME_LENGTH_MS // 1000  # 800 samples

FRAMES_PER_WINDOW = 1024  # one AudioMAE input window: 64 x 8 patches of 16 x 16
WINDOWS_PER_CHUNK = 4
FRAMES_PER_CHUNK = FRAMES_PER_WINDOW * WINDOWS_PER_CHUNK  # 4096 frames

WINDOW_SECONDS = FRAMES_PER_WINDOW * FRAME_SHIFT_MS / 1000  # 10.24 s
CHUNK_SECONDS = FRAMES_PER_CHUNK * FRAME_SHIFT_MS / 1000  # 40.96 s
# kaldi's fbank (snip_edges) yields 1 + (n - WIN) // HOP frames; these many samples give exactly one chunk.
SAMPLES_PER_CHUNK = WIN + (FRAMES_PER_CHUNK - 1) * HOP
SAMPLES_PER_WINDOW = WIN + (FRAMES_PER_WINDOW - 1) * HOP

SEGMENT_SECONDS = 40.0  # how a take is cut for the report; each segment fits in one chunk
