"""Write notebooks/data/my_reviews.csv, the sample file lesson 07 trains on (reproducible: fixed seed).

The rows are real movie-review sentences from the VADER paper's human-rated snippets (Hutto & Gilbert 2014,
MIT licence), read from the pocket data archive: a mean rating above 0 is "positive", below 0 "negative",
exactly 0 is left out, and so is any sentence over 40 words. The columns are named `review` and `sentiment`
and the labels are words, the way a spreadsheet someone made by hand usually looks.
The code is `course_lib.lessons.own_data.write_sample_file`, which also writes the file on Colab, where the
notebooks/ folder is not installed.

    python scripts/make_sample_reviews.py [--rows 400] [--seed 7] [--out notebooks/data/my_reviews.csv]
"""
import argparse
from pathlib import Path

from course_lib.lessons import own_data


def main() -> None:
    """Write the sample CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=own_data.SAMPLE_ROWS)
    parser.add_argument("--seed", type=int, default=own_data.SAMPLE_SEED)
    parser.add_argument("--out", type=Path, default=own_data.SAMPLE_IN_REPO)
    args = parser.parse_args()
    path = own_data.write_sample_file(args.out, args.rows, args.seed)
    print(f"wrote {args.rows} rows to {path}")


if __name__ == "__main__":
    main()
