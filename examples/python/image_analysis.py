"""The deployment guides' first program: an image analysis that answers in JSON under a
regex constraint (system role, user text with the image, assistant gen with a regex).
Without --image it analyses a written description instead. Runs unchanged against
`sgl serve` (or SGLang's own server). Mirrors examples/image_analysis.cc.
Usage: image_analysis.py [--url http://localhost:30000] [--image photo.jpg]"""
import sglang as sgl

from guide_common import connect, image_or, print_json

# Bounded so that any output the grammar allows fits in max_tokens (a token is >= 1 byte).
ANALYSIS_REGEX = (r'\{"subject": "[a-z ]{1,24}", "colors": \["[a-z]{3,10}"(, "[a-z]{3,10}"){0,2}\], '
                  r'"mood": "(calm|busy|tense|cheerful)"\}')


@sgl.function
def analyze(s, image_path):
    s += sgl.system("You are an image analyst. Answer with one JSON object and nothing else.")
    what = image_or(image_path, "A red bicycle leans against a yellow wall on a quiet street at dawn.")
    s += sgl.user(what + "Analyze this image: its main subject, its colors and its mood.")
    s += sgl.assistant(sgl.gen("analysis", max_tokens=128, temperature=0, regex=ANALYSIS_REGEX))


if __name__ == "__main__":
    image = connect(__doc__)
    state = analyze.run(image_path=image)
    print_json(state, {"analysis": state["analysis"]}, {"analysis": ANALYSIS_REGEX})
