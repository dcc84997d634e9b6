"""llaqo's library: audio front end, the engines that answer a rubric, checkpoints."""
