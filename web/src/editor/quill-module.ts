// The Quill chunk: the library and the snow theme's stylesheet (emitted by Vite as a CSS file).
import Quill from 'quill';
import 'quill/dist/quill.snow.css';

export default Quill;
