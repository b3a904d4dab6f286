"""An independent BVH reader for tests: the hierarchy, channels and motion, and forward kinematics of one frame."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def parse_bvh(text: str):
    """(names, parents, offsets (J, 3), channel lists, motion (T, C), end-site count) from BVH text."""
    tokens = text.split()
    names, parents, offsets, channels, stack, end_sites = [], [], [], [], [], 0
    i = tokens.index("HIERARCHY") + 1
    while tokens[i] != "MOTION":
        token = tokens[i]
        if token in ("ROOT", "JOINT"):
            names.append(tokens[i + 1])
            parents.append(stack[-1] if stack else -1)
            i += 2
        elif token == "End":
            end_sites += 1
            assert tokens[i + 1 : i + 4] == ["Site", "{", "OFFSET"]
            assert tokens[i + 7] == "}"
            i += 8
        elif token == "{":
            stack.append(len(names) - 1)
            i += 1
        elif token == "}":
            stack.pop()
            i += 1
        elif token == "OFFSET":
            offsets.append([float(v) for v in tokens[i + 1 : i + 4]])
            i += 4
        elif token == "CHANNELS":
            count = int(tokens[i + 1])
            channels.append(tokens[i + 2 : i + 2 + count])
            i += 2 + count
        else:
            raise AssertionError(f"unexpected token {token!r}")
    frames = int(tokens[i + 2])
    values = np.array([float(v) for v in tokens[i + 6 :]]).reshape(frames, -1)
    return names, parents, np.array(offsets), channels, values, end_sites


def forward_kinematics(parents, offsets, channels, frame):
    """World positions (J, 3) of one motion frame, reading each joint's channels in the order given."""
    positions, rotations, column = np.zeros((len(parents), 3)), np.zeros((len(parents), 3, 3)), 0
    for joint, parent in enumerate(parents):
        translation, rotation = offsets[joint].copy(), np.eye(3)
        for channel in channels[joint]:
            value = frame[column]
            column += 1
            if channel.endswith("position"):
                translation["XYZ".index(channel[0])] = value
            else:
                rotation = rotation @ Rotation.from_euler(channel[0].lower(), value, degrees=True).as_matrix()
        if parent < 0:
            positions[joint], rotations[joint] = translation, rotation
        else:
            positions[joint] = positions[parent] + rotations[parent] @ translation
            rotations[joint] = rotations[parent] @ rotation
    return positions
