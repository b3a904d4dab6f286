"""The networks: ResNet backbones, HMR's and HybrIK's heads, HybrIK's inverse kinematics, checkpoints, ONNX Runtime."""
