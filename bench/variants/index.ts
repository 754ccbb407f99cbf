// Extra kernel variants: import each registering file here.

import './matmul-simple.js';
