using System.CommandLine;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric ssh-key</c>: prints Fabric's public SSH key, to install on hosts Fabric did not boot
/// (<c>fabric ssh-key &gt;&gt; /root/.ssh/authorized_keys</c>).</summary>
internal static class SshKeyCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("ssh-key", "Print Fabric's public SSH key (one authorized_keys line)");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var key = await api.GetTextAsync("/api/v1/ssh-key", cancellationToken);
            await environment.Output.WriteLineAsync(key.TrimEnd('\n'));
        }));
        return command;
    }
}
