"""Powertools logger and metrics shared by every handler."""

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="ai-finops")
metrics = Metrics(namespace="AIFinOps", service="ai-finops")
