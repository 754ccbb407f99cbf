// Extra kernel variants: import each registering file here.

import './matmul-simple.js';
import './composed-attention.js';
import './composed-softmax.js';
import './composed-layernorm.js';
import './composed-cross-entropy.js';
import './matmul-library.js';
