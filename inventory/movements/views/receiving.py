"""PLACEHOLDER until its helper lands: every view answers 404."""

from django.http import Http404


def receive_transfer(request, pk=None):
    raise Http404


def receive_receipt(request, pk=None):
    raise Http404
