// Starts GraphiQL against this hub's /graphql. Served by the hub itself (src/graphiql.rs),
// like React and GraphiQL, so the page works without internet.
(function () {
  'use strict';
  var defaultQuery = [
    '# Customer Hub. Every demo account has the password "demo".',
    '#',
    '# 1. Run the login below and copy the token it returns.',
    '# 2. Open the "Headers" tab under the editor and write:',
    '#      {"Authorization": "Bearer <the token>"}',
    '#    (an integration API key goes the same way: "Bearer hubk_…").',
    '# 3. Ask away, e.g. { customers(first: 5) { edges { node { id name } } } }',
    '',
    'mutation Login {',
    '  login(username: "admin", password: "demo") { token expiresAt staff { username role } }',
    '}',
    '',
  ].join('\n');
  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.origin).toString() });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
    })
  );
})();
