"""mic2025: monitoring and evaluation of *Made in China 2025* (中国制造2025, 国发〔2015〕28号)."""

__version__ = "0.1.0"
