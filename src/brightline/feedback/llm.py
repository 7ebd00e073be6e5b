"""Optional drafting through an OpenAI-compatible chat-completions endpoint (PRODUCT.md C6).

Off unless ``BRIGHTLINE_LLM_URL`` is set *and* the policy's AI boundary ``llm_drafting_enabled``
is on. Works with anything that serves ``POST {url}/chat/completions``: Ollama
(``http://127.0.0.1:11434/v1``), vLLM, llama.cpp's server or a hosted API. The model's output is
never trusted: it goes through the same citation validator as the offline drafter, and what fails
is shown as rejected.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from brightline.env import env_int, env_str

URL_VARIABLE = "BRIGHTLINE_LLM_URL"
MODEL_VARIABLE = "BRIGHTLINE_LLM_MODEL"
KEY_VARIABLE = "BRIGHTLINE_LLM_API_KEY"  # or BRIGHTLINE_LLM_API_KEY_FILE
TIMEOUT_VARIABLE = "BRIGHTLINE_LLM_TIMEOUT"

ERR_NO_MODEL = f"{URL_VARIABLE} is set but {MODEL_VARIABLE} is not; name the model to use"
ERR_BAD_URL = f"{URL_VARIABLE} must start with http:// or https://, not {{url!r}}"
ERR_UNREACHABLE = "the language model at {url} could not be reached: {reason}"
ERR_BAD_RESPONSE = "the language model at {url} answered with something that is not a chat completion: {reason}"

SYSTEM_PROMPT = (
    "You draft impact statements for an engineer's performance growth notes. Use only the evidence "
    "listed. Write at most {max_sentences} sentences, one per line. Every sentence must end with the "
    "citation of the evidence it rests on, written exactly as [E:<id>]. Use a number only if it appears "
    "in the evidence you cite in that sentence. State outcomes: what changed for customers, the service "
    "or the team. Never state counts of lines, files, commits or reviews about the person; leave out "
    "evidence that states no outcome. Do not judge their personality and do not rate them."
)


class LlmError(RuntimeError):
    """The endpoint could not be used; the message says why."""


@dataclass(frozen=True)
class LlmConfig:
    url: str
    model: str
    api_key: str
    timeout_seconds: int


def llm_config() -> LlmConfig | None:
    """The endpoint from the environment, or ``None`` when ``BRIGHTLINE_LLM_URL`` is not set."""
    url = env_str(URL_VARIABLE, "").strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise ImproperlyConfigured(ERR_BAD_URL.format(url=url))
    model = env_str(MODEL_VARIABLE, "").strip()
    if not model:
        raise ImproperlyConfigured(ERR_NO_MODEL)
    return LlmConfig(url=url.rstrip("/"), model=model, api_key=env_str(KEY_VARIABLE, "").strip(),
                     timeout_seconds=env_int(TIMEOUT_VARIABLE, 60, minimum=1))


def build_messages(evidence: Sequence[tuple[str, str]], *, person_name: str, max_sentences: int = 5,
                   ) -> list[dict[str, str]]:
    """The chat messages: rules in the system message, the evidence (id and full text) in the user message."""
    listing = "\n\n".join(f"[E:{evidence_id}]\n{text}" for evidence_id, text in evidence)
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(max_sentences=max_sentences)},
        {"role": "user", "content": f"Person: {person_name}\n\nEvidence:\n\n{listing}\n\n"
                                    "Draft the impact statements now, each ending with its [E:<id>] citation."},
    ]


def complete(config: LlmConfig, messages: list[dict[str, str]]) -> str:
    """POST the messages to ``{url}/chat/completions``; return the first choice's text."""
    endpoint = f"{config.url}/chat/completions"
    body = json.dumps({"model": config.model, "messages": messages, "temperature": 0}).encode("utf-8")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_seconds) as response:  # noqa: S310 (http(s) only)
            payload = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        raise LlmError(ERR_UNREACHABLE.format(url=endpoint, reason=f"HTTP {error.code}")) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise LlmError(ERR_UNREACHABLE.format(url=endpoint, reason=error)) from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LlmError(ERR_BAD_RESPONSE.format(url=endpoint, reason=error)) from error
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise LlmError(ERR_BAD_RESPONSE.format(url=endpoint, reason=f"missing {error}")) from error
    if not isinstance(content, str):
        raise LlmError(ERR_BAD_RESPONSE.format(url=endpoint, reason="the content is not text"))
    return content
