"""The deployment guides' multi-step workflow: describe an image, turn what is in it into
JSON (regex-constrained), then write text that uses both earlier results. The turns share
one conversation, so each later turn reuses the cached prefix (the image included).
Without --image it works from a written scene. Mirrors examples/multi_step_workflow.cc.
Usage: multi_step_workflow.py [--url http://localhost:30000] [--image photo.jpg]"""
import sglang as sgl

from guide_common import connect, image_or, print_json

FACTS_REGEX = (r'\{"objects": \["[a-z ]{1,16}"(, "[a-z ]{1,16}"){0,2}\], "setting": "(indoor|outdoor)", '
               r'"people": [0-9]\}')


@sgl.function
def workflow(s, image_path):
    s += sgl.system("You are a careful visual assistant.")
    what = image_or(image_path, "Scene: two children fly a green kite on a windy beach next to a dog.")
    s += sgl.user(what + "Describe this image in one or two sentences.")
    s += sgl.assistant(sgl.gen("description", max_tokens=48, temperature=0, stop="\n\n"))
    s += sgl.user("List what is in it as JSON.")
    s += sgl.assistant(sgl.gen("facts", max_tokens=128, temperature=0, regex=FACTS_REGEX))
    s += sgl.user("Using your description (" + s["description"] + ") and the facts " + s["facts"] +
                  ", write a one-line caption for the image.")
    s += sgl.assistant(sgl.gen("caption", max_tokens=32, temperature=0, stop="\n"))


if __name__ == "__main__":
    image = connect(__doc__)
    state = workflow.run(image_path=image)
    print_json(state, {name: state[name] for name in ("description", "facts", "caption")}, {"facts": FACTS_REGEX})
