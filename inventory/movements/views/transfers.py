"""PLACEHOLDER until its helper lands: every view answers 404."""

from django.http import Http404


def transfer_list(request, pk=None):
    raise Http404


def transfer_create(request, pk=None):
    raise Http404


def transfer_detail(request, pk=None):
    raise Http404


def transfer_ship(request, pk=None):
    raise Http404


def transfer_cancel(request, pk=None):
    raise Http404


def transfer_close(request, pk=None):
    raise Http404


def packing_list(request, pk=None):
    raise Http404
