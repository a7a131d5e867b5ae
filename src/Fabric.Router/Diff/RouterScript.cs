using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fabric.Remote.Commands;

namespace Fabric.Router.Diff;

/// <summary>A plan's actions as one POSIX <c>sh</c> script, so an apply is one round trip instead of one SSH channel per
/// command. Pure. Every command line is the command's <see cref="RemoteCommand.ShellText"/> (each value one word through
/// <see cref="ShellQuoting"/>: nothing in a value is interpreted by the shell); the script adds only fixed text and
/// numbers. It sends everything to standard output (<c>exec 2&gt;&amp;1</c>) and prints a marker line, prefixed with a
/// random token no command's output can guess, before each action (<c>TOKEN begin N</c>), when a command fails
/// (<c>TOKEN failed N K STATUS</c>, then it exits with that status: nothing after the failure runs), and at its end
/// (<c>TOKEN end</c>).</summary>
public sealed class RouterScript
{
    /// <summary>Where the script is written on the router (next to the ruleset) and run from.</summary>
    public const string Path = "/run/fabric/router/apply.sh";

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

    /// <summary>The command that runs the script on the router.</summary>
    public static RemoteCommand RunCommand { get; } = RemoteCommand.Of("sh", Path);

    /// <summary>The script for <paramref name="actions"/>, in their order, with a fresh marker token.</summary>
    public static RouterScript For(IReadOnlyList<RouterAction> actions) =>
        For(actions, "@fabric-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));

    /// <summary>The script with a given token (tests compare scripts whole).</summary>
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
        for (int i = 0; i < actions.Count; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            text.Append("# ").Append(OneLine(actions[i].Description)).Append('\n');
            text.Append("printf '%s begin %s\\n' \"$m\" ").Append(n).Append('\n');
            for (int k = 0; k < actions[i].Commands.Count; k++)
            {
                text.Append(actions[i].Commands[k].ShellText).Append(" || fail $? ").Append(n).Append(' ').Append(k.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        text.Append("printf '%s end\\n' \"$m\"\n");
        return new RouterScript(token, text.ToString(), actions);
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
            ["begin", var n] when Index(n) is { } action => new ScriptLine(ScriptLineKind.Begin, action, -1, 0),
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

    /// <summary>Action <see cref="ScriptLine.Action"/> starts.</summary>
    Begin,

    /// <summary>Command <see cref="ScriptLine.Command"/> of action <see cref="ScriptLine.Action"/> exited
    /// <see cref="ScriptLine.Status"/>; the script stops.</summary>
    Failed,

    /// <summary>Every action ran.</summary>
    End,
}

/// <summary>One classified output line.</summary>
public readonly record struct ScriptLine(ScriptLineKind Kind, int Action, int Command, int Status);
