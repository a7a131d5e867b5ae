using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fabric.Remote.Commands;

namespace Fabric.Router.Diff;

/// <summary>A plan's actions as one POSIX <c>sh</c> script, so an apply is one round trip instead of one SSH channel per
/// command. Pure. Every command line is the command's <see cref="RemoteCommand.ShellText"/> (each value one word through
/// <see cref="ShellQuoting"/>: nothing in a value is interpreted by the shell); the script adds only fixed text, numbers
/// and the files the actions write, each as a quoted here-document (<c>&lt;&lt;'DELIMITER'</c>: the shell interprets
/// nothing in it) ended by a delimiter made of the token, which no line of the file may be. It sends everything to
/// standard output (<c>exec 2&gt;&amp;1</c>) and prints a marker line, prefixed with a random token no command's output
/// can guess, when it starts (<c>TOKEN start</c>: it is on the router), before each action (<c>TOKEN begin N</c>), when
/// a command fails (<c>TOKEN failed N K STATUS</c>, or <c>TOKEN failed N w STATUS</c> when writing the action's file
/// failed; then it exits with that status: nothing after the failure runs), and at its end (<c>TOKEN end</c>). An action's
/// file is written when the script reaches the action, under a temporary name renamed over the file, so the file is the
/// old one or the whole new one.</summary>
public sealed class RouterScript
{
    /// <summary>Where the script is written on the router (next to the ruleset) and run from.</summary>
    public const string Path = "/run/fabric/router/apply.sh";

    /// <summary>The folder of <see cref="Path"/>.</summary>
    public const string Folder = "/run/fabric/router";

    /// <summary>Receives the script on its standard input, writes it to <see cref="Path"/> (through a temporary name) and
    /// runs it with standard input from <c>/dev/null</c>: sending and running it is one SSH channel. Its exit status is the
    /// script's, or not 0 when the script could not be written. The folder and the path are arguments.</summary>
    public static RemoteCommand SendCommand { get; } = RemoteCommand.Script(
        "umask 022 && mkdir -p \"$1\" && cat >\"$2.new\" && mv -f \"$2.new\" \"$2\" && exec sh \"$2\" </dev/null", Folder, Path);

    private RouterScript(string token, string text, IReadOnlyList<RouterAction> actions)
    {
        Token = token;
        Text = text;
        Actions = actions;
    }

    /// <summary>The prefix of the script's marker lines.</summary>
    public string Token { get; }

    /// <summary>The script.</summary>
    public string Text { get; }

    public IReadOnlyList<RouterAction> Actions { get; }

    /// <summary>The script for <paramref name="actions"/>, in their order, with a fresh marker token.</summary>
    public static RouterScript For(IReadOnlyList<RouterAction> actions) =>
        For(actions, "@fabric-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));

    /// <summary>The script with a given token (tests compare scripts whole). A file's content that holds the here-document's
    /// delimiter as a line, or a NUL, is refused (<see cref="ArgumentException"/>).</summary>
    public static RouterScript For(IReadOnlyList<RouterAction> actions, string token)
    {
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentException.ThrowIfNullOrEmpty(token);
        var text = new StringBuilder();
        text.Append("#!/bin/sh\n");
        text.Append("# Fabric router apply: ").Append(actions.Count.ToString(CultureInfo.InvariantCulture)).Append(" changes, one marker line per change.\n");
        text.Append("exec 2>&1\n");
        text.Append("m=").Append(ShellQuoting.Quote(token)).Append('\n');
        text.Append("fail() { printf '%s failed %s %s %s\\n' \"$m\" \"$2\" \"$3\" \"$1\"; exit \"$1\"; }\n");
        text.Append("printf '%s start\\n' \"$m\"\n");
        for (int i = 0; i < actions.Count; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            text.Append("# ").Append(OneLine(actions[i].Description)).Append('\n');
            text.Append("printf '%s begin %s\\n' \"$m\" ").Append(n).Append('\n');
            if (actions[i].File is { } file)
            {
                AppendFile(text, file, token + "-eof", n);
            }

            for (int k = 0; k < actions[i].Commands.Count; k++)
            {
                text.Append(actions[i].Commands[k].ShellText).Append(" || fail $? ").Append(n).Append(' ').Append(k.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        text.Append("printf '%s end\\n' \"$m\"\n");
        return new RouterScript(token, text.ToString(), actions);
    }

    /// <summary><c>cat &gt; TEMPORARY &lt;&lt;'DELIMITER' &amp;&amp; mv -f TEMPORARY PATH || fail $? N w</c>, the content, the
    /// delimiter; with <c>mkdir -p</c> first when the file is not in <see cref="Folder"/>.</summary>
    private static void AppendFile(StringBuilder text, RouterFile file, string delimiter, string action)
    {
        var content = file.Content.EndsWith('\n') ? file.Content : file.Content + "\n";
        if (content.Contains('\0', StringComparison.Ordinal) || content.Split('\n').Any(line => line == delimiter))
        {
            throw new ArgumentException($"{file.Path} cannot be sent in the script: it holds a NUL or the line '{delimiter}'", nameof(file));
        }

        int slash = file.Path.LastIndexOf('/');
        var folder = file.Path[..slash];
        var temporary = $"{folder}/.{file.Path[(slash + 1)..]}.new";
        if (folder != Folder)
        {
            text.Append("mkdir -p ").Append(ShellQuoting.Quote(folder)).Append(" && ");
        }

        text.Append("cat > ").Append(ShellQuoting.Quote(temporary)).Append(" <<'").Append(delimiter).Append("' && mv -f ")
            .Append(ShellQuoting.Quote(temporary)).Append(' ').Append(ShellQuoting.Quote(file.Path)).Append(" || fail $? ").Append(action).Append(" w\n");
        text.Append(content);
        text.Append(delimiter).Append('\n');
    }

    /// <summary>What a line of the script's output is: a marker (begin, failed, end) or a command's own output.</summary>
    public ScriptLine Classify(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (!line.StartsWith(Token + " ", StringComparison.Ordinal))
        {
            return new ScriptLine(ScriptLineKind.Output, -1, -1, 0);
        }

        var words = line[(Token.Length + 1)..].Split(' ');
        return words switch
        {
            ["start"] => new ScriptLine(ScriptLineKind.Start, -1, -1, 0),
            ["begin", var n] when Index(n) is { } action => new ScriptLine(ScriptLineKind.Begin, action, -1, 0),
            ["failed", var n, "w", var s] when Index(n) is { } action && Actions[action].File is not null
                && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int status)
                => new ScriptLine(ScriptLineKind.Failed, action, ScriptLine.WritingFile, status),
            ["failed", var n, var k, var s] when Index(n) is { } action && Index(k) is { } command
                && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int status)
                => new ScriptLine(ScriptLineKind.Failed, action, command, status),
            ["end"] => new ScriptLine(ScriptLineKind.End, -1, -1, 0),
            _ => new ScriptLine(ScriptLineKind.Output, -1, -1, 0),
        };

        int? Index(string word) =>
            int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value < Actions.Count ? value : null;
    }

    /// <summary>A description as one comment line (descriptions hold names; a line break would end the comment).</summary>
    private static string OneLine(string text) => string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c));
}

/// <summary>The kinds of lines the script prints.</summary>
public enum ScriptLineKind
{
    /// <summary>A command's own output.</summary>
    Output,

    /// <summary>The script is on the router and starts (everything before this line was sending it).</summary>
    Start,

    /// <summary>Action <see cref="ScriptLine.Action"/> starts.</summary>
    Begin,

    /// <summary>Command <see cref="ScriptLine.Command"/> of action <see cref="ScriptLine.Action"/> (or writing its file:
    /// <see cref="ScriptLine.WritingFile"/>) exited <see cref="ScriptLine.Status"/>; the script stops.</summary>
    Failed,

    /// <summary>Every action ran.</summary>
    End,
}

/// <summary>One classified output line.</summary>
public readonly record struct ScriptLine(ScriptLineKind Kind, int Action, int Command, int Status)
{
    /// <summary>The <see cref="Command"/> of a failure while writing the action's file.</summary>
    public const int WritingFile = -1;
}
