// Placeholder until the IRC example lands (issue 5): `npm run demo` must exist from day one.
console.log('The example IRC log server arrives with the IRC example (issue 5).');
