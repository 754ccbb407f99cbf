"""Time the reference models in PyTorch on the CPU, for `npm run bench:steps`.

The protocol is the one of bench/steps/protocol.ts: warm-up steps, then blocks of
`every` steps. Each block is timed up to and including the read of its summed loss.
The sizes repeat bench/steps/sizes.ts. The script prints one line "RESULT <json>"
per model and thread count.

Run with Debian's /usr/bin/python3 (python3-torch with libopenblas0-pthread):
  /usr/bin/python3 bench/steps/torch_steps.py --models=mlp,vit --threads=1,2 \
      --warmup=5 --blocks=5 --every=10 --seed=0
"""

import argparse
import json
import math
import statistics
import sys
import time

try:
    import torch
    from torch import nn
except ImportError as error:
    sys.exit(f"torch_steps.py: cannot import torch ({error}); on Debian 12 run "
             "'apt-get install python3-torch libopenblas0-pthread' and use /usr/bin/python3, "
             "or pass --no-torch to npm run bench:steps")

BATCHES_IN_CYCLE = 4
MLP = {"batch": 256, "widths": [300, 512, 256, 1]}
VIT = {"batch": 64, "image_size": 16, "channels": 1, "patch_size": 4, "dim": 64,
       "heads": 4, "depth": 4, "mlp_dim": 256, "num_classes": 10}


class ViT(nn.Module):
    """Pre-LN ViT with talkgrad's parameter layout (fused QKV has the same count as 3 linears)."""

    def __init__(self, s):
        super().__init__()
        patches = (s["image_size"] // s["patch_size"]) ** 2
        self.patch = nn.Conv2d(s["channels"], s["dim"], s["patch_size"], stride=s["patch_size"])
        self.class_token = nn.Parameter(torch.zeros(1, 1, s["dim"]))
        self.position = nn.Parameter(torch.randn(1, patches + 1, s["dim"]) * 0.02)
        layer = lambda: nn.TransformerEncoderLayer(
            s["dim"], s["heads"], s["mlp_dim"], dropout=0.0, activation="gelu",
            layer_norm_eps=1e-6, batch_first=True, norm_first=True)
        self.blocks = nn.Sequential(*[layer() for _ in range(s["depth"])])
        self.norm = nn.LayerNorm(s["dim"], eps=1e-6)
        self.classifier = nn.Linear(s["dim"], s["num_classes"])
        nn.init.zeros_(self.classifier.weight)

    def forward(self, images):
        tokens = self.patch(images).flatten(2).transpose(1, 2)
        cls = self.class_token.expand(tokens.shape[0], -1, -1)
        h = torch.cat([cls, tokens], dim=1) + self.position
        e = self.norm(self.blocks(h))
        return self.classifier(e[:, 0])


def mlp_case():
    w = MLP["widths"]
    layers = []
    for i in range(len(w) - 1):
        layers.append(nn.Linear(w[i], w[i + 1]))
        if i < len(w) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    batches = [(torch.randn(MLP["batch"], w[0]), torch.randn(MLP["batch"])) for _ in range(BATCHES_IN_CYCLE)]
    loss = lambda x, y: nn.functional.mse_loss(model(x).reshape(-1), y)
    return model, loss, batches


def vit_case():
    model = ViT(VIT)
    shape = (VIT["batch"], VIT["channels"], VIT["image_size"], VIT["image_size"])
    batches = [(torch.randn(*shape), torch.randint(0, VIT["num_classes"], (VIT["batch"],)))
               for _ in range(BATCHES_IN_CYCLE)]
    loss = lambda x, y: nn.functional.cross_entropy(model(x), y)
    return model, loss, batches


def time_model(name, threads, args):
    torch.set_num_threads(threads)
    torch.manual_seed(args.seed)
    model, loss_fn, batches = mlp_case() if name == "mlp" else vit_case()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    index = 0
    total = None

    def step():
        nonlocal index, total
        x, y = batches[index % len(batches)]
        index += 1
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(x, y)
        loss.backward()
        optimizer.step()
        total = loss.detach() if total is None else total + loss.detach()

    def read_loss():
        nonlocal total
        value = total.item()
        total = None
        return value

    for _ in range(args.warmup):
        step()
    read_loss()
    block_ms, losses = [], []
    for _ in range(args.blocks):
        start = time.perf_counter()
        for _ in range(args.every):
            step()
        losses.append(read_loss() / args.every)
        block_ms.append((time.perf_counter() - start) * 1000 / args.every)
    return {
        "model": name,
        "framework": f"pytorch-cpu-{threads}t",
        "parameters": sum(p.numel() for p in model.parameters()),
        "medianMs": statistics.median(block_ms),
        "minMs": min(block_ms),
        "maxMs": max(block_ms),
        "recordMs": None,
        "submitsPerStep": None,
        "dispatchesPerStep": None,
        "blocks": args.blocks,
        "every": args.every,
        "warmupSteps": args.warmup,
        "blockMs": block_ms,
        "losses": losses,
        "notes": f"torch {torch.__version__}, {threads} thread(s)",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,vit")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("INFO " + json.dumps({"torch": torch.__version__, "defaultThreads": torch.get_num_threads()}), flush=True)
    for name in args.models.split(","):
        if name not in ("mlp", "vit"):
            raise SystemExit(f"torch_steps: unknown model '{name}' (known: mlp, vit)")
        for threads in (int(t) for t in args.threads.split(",")):
            result = time_model(name, threads, args)
            if not all(math.isfinite(v) for v in result["losses"]):
                raise SystemExit(f"torch_steps: {name} loss is not finite: {result['losses']}. The training diverged, so check the model sizes and the learning rate")
            print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
