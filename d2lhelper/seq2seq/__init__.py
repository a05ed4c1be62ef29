"""Sequence to sequence: the encoder-decoder interface, GRU models, masked loss, training, decoding.

Every decoder here follows one protocol, so the trainer and both decoding
methods work for the GRU decoders of this module and the Transformer of
:mod:`d2lhelper.transformer` alike:

* ``state = decoder.init_state(enc_outputs, enc_valid_lens)``
* ``logits, state = decoder(X, state)`` for target tokens ``X`` of shape ``(B, T)``;
  calling it one step at a time gives the same logits as one call on the whole sequence;
* ``state = decoder.reorder_state(state, index)`` keeps (and repeats) the rows
  ``index`` of every tensor in the state (beam search needs it).
"""
from __future__ import annotations

from .decoding import Translation, translate
from .models import Decoder, Encoder, EncoderDecoder, Seq2SeqAttentionDecoder, Seq2SeqDecoder, Seq2SeqEncoder
from .training import Seq2SeqHistory, masked_cross_entropy, train_seq2seq

__all__ = [
    "Decoder",
    "Encoder",
    "EncoderDecoder",
    "Seq2SeqAttentionDecoder",
    "Seq2SeqDecoder",
    "Seq2SeqEncoder",
    "Seq2SeqHistory",
    "Translation",
    "masked_cross_entropy",
    "train_seq2seq",
    "translate",
]
