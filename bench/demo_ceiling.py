"""How well *any* model can do on the demo MGID corpus (printed, not asserted):

    python bench/demo_ceiling.py [--seed 7] [--posts 600]

Prints, from the demo generator's own noise model (amm_core/data/demo_ceiling.py, exact
enumeration): the expected accuracy of the best depression rule on caption + picture, on each
alone, and of the additive rule (the sum of the two modalities' log-odds, each read alone: what
summing per-modality evidence, as a linear probe does, can reach; the masking posts defeat it);
then the accuracy the best rule and the additive rule reach on the demo's actual train / dev /
test posts. A model that perceives both modalities perfectly still cannot pass
these figures, so they bound what `amm experiment --dataset demo-mgid` can show between variants.
"""

from __future__ import annotations

import argparse

from amm_core.data import demo_ceiling as dc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=dc.DEMO_SEED)
    parser.add_argument("--posts", type=int, default=dc.DEMO_POSTS)
    args = parser.parse_args()
    table = dc.joint_table()
    caption = dc.best_accuracy(dc.marginal(table, 0))
    picture = dc.best_accuracy(dc.marginal(table, 1))
    print(f"expected accuracy of the best rule (depression): caption + picture "
          f"{100 * dc.best_accuracy(table):.1f} %, caption alone {100 * caption:.1f} %, "
          f"picture alone {100 * picture:.1f} %; additive rule "
          f"{100 * dc.additive_accuracy(table):.1f} %")
    for split in ("train", "dev", "test"):
        posts = dc.demo_posts(split, args.seed, args.posts)
        reached = dc.ceiling(posts, table)
        figures = ", ".join(f"{name} {value:.1f} %" for name, value in reached.items())
        print(f"demo seed {args.seed}, {split} ({len(posts)} posts), best rule reaches: {figures}")


if __name__ == "__main__":
    main()
