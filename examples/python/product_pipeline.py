"""The deployment guides' product-photo pipeline: extract brand, category, features and
appearance as regex-constrained JSON, write marketing copy from it, then compare the
product with others of its category (a field read from the JSON). The program returns a
dict of named results (state.ret_value). Without --image it works from a written
listing. Mirrors examples/product_pipeline.cc.
Usage: product_pipeline.py [--url http://localhost:30000] [--image photo.jpg]"""
import json
import sys

import sglang as sgl

from guide_common import connect, image_or, print_json

PRODUCT_REGEX = (r'\{"brand": "[A-Za-z ]{1,16}", "category": "(shoes|bag|watch|phone|jacket|lamp|other)", '
                 r'"features": \["[a-z ]{1,16}"(, "[a-z ]{1,16}"){0,2}\], "appearance": "[a-z ]{1,24}"\}')


@sgl.function
def pipeline(s, image_path):
    s += sgl.system("You are a product analyst for an online shop.")
    what = image_or(image_path, "Listing: Trailmark running shoes, blue mesh with white soles, light and waterproof.")
    s += sgl.user(what + "Extract the product's brand, category, key features and appearance as JSON.")
    s += sgl.assistant(sgl.gen("product_info", max_tokens=192, temperature=0, regex=PRODUCT_REGEX))
    category = json.loads(s["product_info"])["category"]
    s += sgl.user("Write two sentences of marketing copy for this product.")
    s += sgl.assistant(sgl.gen("marketing_copy", max_tokens=48, temperature=0, stop="\n\n"))
    s += sgl.user("How does it compare with other " + category + " products? Answer in one sentence.")
    s += sgl.assistant(sgl.gen("comparison", max_tokens=40, temperature=0, stop="\n"))
    return {"product_info": s["product_info"], "category": category,
            "marketing_copy": s["marketing_copy"], "comparison": s["comparison"]}


if __name__ == "__main__":
    image = connect(__doc__)
    state = pipeline.run(image_path=image)
    results = state.ret_value
    if results is None:
        print_json(state, {}, {"product_info": PRODUCT_REGEX})
        sys.exit(1)
    print_json(state, results, {"product_info": PRODUCT_REGEX})
