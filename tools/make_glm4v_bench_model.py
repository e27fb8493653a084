#!/usr/bin/env python3
"""A random-weight GLM-4.1V-shaped model for benchmarks (not committed: written to OUT_DIR).

Glm4vForConditionalGeneration built by transformers from a config of real-ish proportions
(a 12-block vision tower of width 768, a 12-layer language model of width 1024: about
240M parameters, float32), transformers' own random init. The tokenizer, chat template and
preprocessor settings are the tiny fixture's (tests/fixtures/models/glm4v/hf: one token per
byte plus GLM's special tokens), and a 336x336 test picture (a colour gradient with a
few shapes) is written beside it as image.png. Deterministic.
    /opt/refenv/bin/python tools/make_glm4v_bench_model.py OUT_DIR

--shape 9b makes a GLM-4.1V-9B-shaped model instead (its published config's sizes: a
24-block vision tower of width 1536, a 40-layer language model of width 4096 with 2 KV
heads, vocabulary 151,552: about 10B parameters), initialized on the GPU and saved in
bfloat16 (about 20 GB); --image-size N draws an N x N picture (default 336).
"""

import argparse
import copy
import json
import shutil
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from transformers import Glm4vConfig, Glm4vForConditionalGeneration

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "models" / "glm4v" / "hf"

CONFIG = dict(
    text_config=dict(
        vocab_size=512, hidden_size=1024, intermediate_size=4096, num_hidden_layers=12, num_attention_heads=16,
        num_key_value_heads=4, max_position_embeddings=8192, rms_norm_eps=1e-5,
        rope_parameters=dict(rope_type="default", rope_theta=10000.0, partial_rotary_factor=0.5,
                             mrope_section=[4, 6, 6]),
        pad_token_id=0,
    ),
    vision_config=dict(
        depth=12, hidden_size=768, num_heads=12, intermediate_size=2048, out_hidden_size=1024, patch_size=14,
        temporal_patch_size=2, spatial_merge_size=2, image_size=336, rms_norm_eps=1e-5, hidden_act="silu",
        attention_bias=True, rope_parameters=dict(rope_type="axial", rope_theta=10000.0),
    ),
    image_token_id=500, image_start_token_id=501, image_end_token_id=502,
    video_token_id=503, video_start_token_id=504, video_end_token_id=505,
)

# GLM-4.1V-9B's sizes over CONFIG (same special ids: the fixture's tokenizer is used).
SHAPE_9B = dict(
    text_config=dict(vocab_size=151552, hidden_size=4096, intermediate_size=13696, num_hidden_layers=40,
                     num_attention_heads=32, num_key_value_heads=2, max_position_embeddings=65536,
                     rope_parameters=dict(rope_type="default", rope_theta=10000.0, partial_rotary_factor=0.5,
                                          mrope_section=[8, 12, 12])),
    vision_config=dict(depth=24, hidden_size=1536, num_heads=12, intermediate_size=13696, out_hidden_size=4096),
)


def config_for(shape):
    config = copy.deepcopy(CONFIG)
    if shape == "9b":
        for part, values in SHAPE_9B.items():
            config[part].update(values)
    return config


def write_image(path, n):
    y, x = np.mgrid[0:n, 0:n]
    rgb = np.stack([x * 255 // (n - 1), y * 255 // (n - 1), (x + y) * 255 // (2 * n - 2)], -1).astype(np.uint8)
    image = Image.fromarray(rgb)
    draw = ImageDraw.Draw(image)
    s = n / 336
    draw.ellipse((60 * s, 60 * s, 160 * s, 160 * s), fill=(250, 250, 40))
    draw.rectangle((190 * s, 180 * s, 300 * s, 300 * s), fill=(20, 40, 200))
    image.save(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--shape", choices=["small", "9b"], default="small")
    parser.add_argument("--image-size", type=int, default=336)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    if args.shape == "9b":  # too large to initialize quickly on the CPU
        with torch.device("cuda"):
            model = Glm4vForConditionalGeneration(Glm4vConfig(**config_for("9b"))).to(torch.bfloat16).eval()
    else:
        model = Glm4vForConditionalGeneration(Glm4vConfig(**config_for("small"))).eval()
    print(f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters "
          f"(vision {sum(p.numel() for p in model.model.visual.parameters()) / 1e6:.1f}M)")
    model.save_pretrained(out, safe_serialization=True)
    for name in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]:
        shutil.copy(FIXTURE / name, out / name)
    pre = json.loads((FIXTURE / "preprocessor_config.json").read_text())
    pre["size"] = {"shortest_edge": 112 * 112, "longest_edge": 28 * 28 * 15000}
    (out / "preprocessor_config.json").write_text(json.dumps(pre, indent=2) + "\n")
    write_image(out / "image.png", args.image_size)


if __name__ == "__main__":
    main()
