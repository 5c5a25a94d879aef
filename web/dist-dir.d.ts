/** Absolute path of the built dashboard (index.html, app.js, app.css), made by `npm run build -w web`. */
export declare const webDistDir: string;
