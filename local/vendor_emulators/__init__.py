"""Local OpenAI and Anthropic billing emulators serving the demo organisation's spend.

    from local.vendor_emulators import start_openai_emulator, start_anthropic_emulator
    with start_openai_emulator() as openai, start_anthropic_emulator() as anthropic:
        openai.url      # http://127.0.0.1:P/v1  -> OPENAI_BASE_URL
        anthropic.url   # http://127.0.0.1:Q     -> ANTHROPIC_BASE_URL
        openai.faults.fail_next(3, status=500)   # or POST {root}/_emulator/faults

or ``python -m local.vendor_emulators --openai-port N --anthropic-port M``.
"""

from local.vendor_emulators.anthropic_app import AnthropicCostReportApp, start_anthropic_emulator
from local.vendor_emulators.base import FAULTS_PATH, EmulatorHandle, Faults
from local.vendor_emulators.openai_app import OpenAICostsApp, start_openai_emulator

__all__ = [
    "AnthropicCostReportApp",
    "EmulatorHandle",
    "FAULTS_PATH",
    "Faults",
    "OpenAICostsApp",
    "start_anthropic_emulator",
    "start_openai_emulator",
]
