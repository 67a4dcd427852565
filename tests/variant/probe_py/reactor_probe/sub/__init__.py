from ._multi import answer
