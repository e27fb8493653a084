"""What the guide's example programs share: the command line (the server's URL, an
optional image) and the one JSON line they print (named results, each regex, and each
gen's prompt and cached tokens from its meta_info)."""
import argparse
import json

import sglang as sgl


def connect(description):
    """Parses --url (default: the guides' http://localhost:30000) and --image, sets the
    default backend, and returns the image path (None for the text-only form)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", default="http://localhost:30000")
    parser.add_argument("--image", default=None, help="an image file; without it the program runs text-only")
    args = parser.parse_args()
    sgl.set_default_backend(sgl.RuntimeEndpoint(args.url))
    return args.image


def image_or(image_path, stand_in):
    """The start of a user turn about an image: the image, or without one (text-only runs) a
    written stand-in for it."""
    return (sgl.image(image_path) if image_path else stand_in) + "\n"


def print_json(state, results, patterns):
    meta = {}
    for name in results:
        try:
            info = state.get_meta_info(name)
        except KeyError:
            continue
        if info:
            meta[name] = {"prompt_tokens": info["prompt_tokens"], "cached_tokens": info.get("cached_tokens", 0),
                          "finish_reason": info["finish_reason"]["type"]}
    error = state.error()
    print(json.dumps({"results": results, "patterns": patterns, "meta": meta,
                      "error": "" if error is None else str(error)}))
