// The client: starts `calltree lsp` for .tree files and lets it do the rest. All the
// language knowledge is in the server, so every editor gets the same answers.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("calltree").get("path", "calltree");
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "calltree",
    "calltree",
    { run: server, debug: server },
    {
      documentSelector: [{ language: "calltree" }],
      synchronize: {
        // Trees on disk are context for the open ones (their folder, `use`): re-check on change.
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.tree"),
      },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
