"""HYDRA's benchmarks: the cost of safety, measured side by side in one process."""
