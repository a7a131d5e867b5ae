using System.Buffers;
using System.Text;

namespace Fabric.Remote.Commands;

/// <summary>The one place a command line for a remote POSIX shell is made. Each argument becomes exactly one shell
/// word: plain words (letters, digits and <c>_@%+=:,./-</c>) stay as they are, everything else is put in single quotes,
/// inside which the shell interprets nothing; a single quote itself is written <c>'\''</c> (close, escaped quote,
/// reopen). POSIX.1-2017 XCU 2.2.3.</summary>
public static class ShellQuoting
{
    private static readonly SearchValues<char> Plain =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-");

    /// <summary>One argument as one shell word. A NUL character cannot be passed to a program and is refused.</summary>
    public static string Quote(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (argument.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("a command argument cannot contain a NUL character", nameof(argument));
        }

        if (argument.Length > 0 && !argument.AsSpan().ContainsAnyExcept(Plain))
        {
            return argument;
        }

        return "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>The arguments quoted one by one and joined by spaces.</summary>
    public static string Join(IEnumerable<string> arguments)
    {
        var line = new StringBuilder();
        foreach (var argument in arguments)
        {
            if (line.Length > 0)
            {
                line.Append(' ');
            }

            line.Append(Quote(argument));
        }

        return line.ToString();
    }
}
