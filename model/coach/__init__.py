"""The neural coach: LLaQo (AudioMAE → Q-Former → Vicuna) and its checkpoints."""
