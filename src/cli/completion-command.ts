/**
 * `tcpsweep completion bash|zsh`: a completion script made from the commands and options commander
 * knows, so it cannot drift from the code. Install: `source <(tcpsweep completion bash)` in ~/.bashrc,
 * or `tcpsweep completion zsh > "${fpath[1]}/_tcpsweep"` (docs/cli.md).
 */
import type { Command } from "commander";
import { oneOf } from "./arguments.js";

interface CommandWords {
  name: string;
  flags: string[];
}

function words(program: Command): { commands: CommandWords[]; global: string[] } {
  const flagsOf = (command: Command) => [
    ...command.options
      .filter((o) => !o.hidden)
      .flatMap((o) => [o.long, o.short])
      .filter((f): f is string => Boolean(f)),
    "--help",
  ];
  return {
    commands: program.commands
      .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
      .map((c) => ({ name: c.name(), flags: flagsOf(c) })),
    global: flagsOf(program),
  };
}

export function bashCompletion(program: Command): string {
  const { commands, global } = words(program);
  const cases = commands.map((c) => `    ${c.name}) opts="${c.flags.join(" ")}" ;;`).join("\n");
  return `# tcpsweep bash completion (tcpsweep completion bash); source it from ~/.bashrc
_tcpsweep() {
  local cur=\${COMP_WORDS[COMP_CWORD]} sub="" opts="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in -*) ;; *) sub=\${COMP_WORDS[i]}; break ;; esac
  done
  case $sub in
${cases}
    "") opts="${commands.map((c) => c.name).join(" ")} ${global.join(" ")}" ;;
  esac
  if [[ $cur == -* || -z $sub ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -o bashdefault -F _tcpsweep tcpsweep
`;
}

export function zshCompletion(program: Command): string {
  const { commands, global } = words(program);
  const cases = commands.map((c) => `    ${c.name}) compadd -- ${c.flags.join(" ")}; _files ;;`).join("\n");
  return `#compdef tcpsweep
# tcpsweep zsh completion (tcpsweep completion zsh > "\${fpath[1]}/_tcpsweep")
_tcpsweep() {
  if (( CURRENT == 2 )); then
    compadd -- ${commands.map((c) => c.name).join(" ")} ${global.join(" ")}
    return
  fi
  case $words[2] in
${cases}
    *) _files ;;
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _tcpsweep "$@"; else compdef _tcpsweep tcpsweep; fi
`;
}

export function registerCompletionCommand(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script: source <(tcpsweep completion bash), or for zsh save it as _tcpsweep in $fpath")
    .argument("<shell>", "bash or zsh", oneOf(["bash", "zsh"] as const))
    .action((shell: "bash" | "zsh") => {
      process.stdout.write(shell === "bash" ? bashCompletion(program) : zshCompletion(program));
    });
}
