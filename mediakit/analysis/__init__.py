"""Pure numpy/OpenCV measurements that prove render quality (loop seams, stalls, camera-path jitter)."""
