"""The chat agent with active retrieval (see :mod:`agents.chat.agent`)."""

from agents.chat.agent import NO_LLM, ChatAgent, ChatAnswer, new_session
from agents.chat.topic import TOPIC_MODES, Topic, derive_topic, keyword_topic, keywords
from storage.sources import CHAT_PREFIX

__all__ = [
    "CHAT_PREFIX",
    "NO_LLM",
    "TOPIC_MODES",
    "ChatAgent",
    "ChatAnswer",
    "Topic",
    "derive_topic",
    "keyword_topic",
    "keywords",
    "new_session",
]
