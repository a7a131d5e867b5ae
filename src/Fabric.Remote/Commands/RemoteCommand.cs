namespace Fabric.Remote.Commands;

/// <summary>A command to run on a node, as a program and its arguments. It reaches the remote shell only through
/// <see cref="ShellQuoting"/>, so a value such as a volume name is always one argument, whatever it contains.</summary>
public sealed record RemoteCommand
{
    private RemoteCommand(IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 0 || string.IsNullOrEmpty(arguments[0]))
        {
            throw new ArgumentException("a command needs a program", nameof(arguments));
        }

        Arguments = arguments;
        ShellText = ShellQuoting.Join(arguments);
    }

    /// <summary>The program followed by its arguments.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The command line the remote shell receives.</summary>
    public string ShellText { get; }

    /// <summary>A program and its arguments, e.g. <c>RemoteCommand.Of("mdadm", "--re-add", array, device)</c>.</summary>
    public static RemoteCommand Of(string program, params IEnumerable<string> arguments) => new([program, .. arguments]);

    /// <summary>A fixed shell script run by <c>sh -c</c>, for pipes and redirections. The script must be a constant: values
    /// go in <paramref name="arguments"/> and the script reads them as <c>"$1"</c>, <c>"$2"</c>, ... (POSIX <c>sh -c
    /// command_string command_name argument...</c>).</summary>
    public static RemoteCommand Script(string script, params IEnumerable<string> arguments) => new(["sh", "-c", script, "sh", .. arguments]);

    public bool Equals(RemoteCommand? other) => other is not null && other.ShellText == ShellText;

    public override int GetHashCode() => ShellText.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => ShellText;
}
