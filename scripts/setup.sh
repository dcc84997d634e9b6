#!/usr/bin/env bash
# Set up llaqo on a Debian machine: system audio packages, then a virtualenv in .venv with llaqo in it.
#   bash scripts/setup.sh          # to use llaqo
#   bash scripts/setup.sh --test   # also what the tests need (fluidsynth, a soundfont, PulseAudio, Chromium
#                                  # for the HTML report's pictures, pytest)
#   bash scripts/setup.sh --bench  # also the outside-material benchmark's piano sounds and score readers
# Without an NVIDIA GPU (no nvidia-smi) torch comes from PyTorch's CPU-only wheel index: the default wheel
# maps ~190 MB of CUDA libraries into every process even on a CPU machine. LLAQO_TORCH=cuda|cpu overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libportaudio2 libsndfile1 libasound2-plugins)
extras=""
if [[ "${1:-}" == "--test" ]]; then
  packages+=(fluidsynth timgm6mb-soundfont pulseaudio pulseaudio-utils chromium)
  extras="[test]"
elif [[ "${1:-}" == "--bench" ]]; then
  packages+=(fluidsynth timgm6mb-soundfont fluid-soundfont-gm musescore-general-soundfont-small csound-soundfont
             pulseaudio pulseaudio-utils chromium)
  extras="[test,bench]"
fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if (( ${#missing[@]} )); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch 2.14.1 + torchaudio 2.11.0 is the pair this project is tested with.
torch_kind="${LLAQO_TORCH:-$(command -v nvidia-smi >/dev/null && echo cuda || echo cpu)}"
if [[ "$torch_kind" == "cpu" ]]; then
  .venv/bin/python -m pip install -q "torch==2.14.1" "torchaudio==2.11.0" \
      --index-url https://download.pytorch.org/whl/cpu --retries 1 --timeout 10 \
    || .venv/bin/python -m pip install -q "torch==2.14.1" "torchaudio==2.11.0"  # the CPU index unreachable
else
  .venv/bin/python -m pip install -q "torch==2.14.1" "torchaudio==2.11.0"
fi
.venv/bin/python -m pip install -q -e ".${extras}"
.venv/bin/python -m pip install -q --no-deps basic-pitch==0.4.0  # its ONNX model only: its metadata pulls TensorFlow
