using System.Globalization;
using Fabric.Core;

namespace Fabric.Registry.Roles;

/// <summary>One field a role adds to a node, by its wire name: how a request carries it (<see cref="NodeInput"/>),
/// where a stored node keeps it, and how the event log prints it.</summary>
internal sealed record RoleField(
    string Name,
    Func<NodeInput, object?> Get,
    Func<NodeInput, object?, NodeInput> Set,
    Func<Node, object?> FromNode,
    Func<object, string> Text)
{
    public static RoleField Of<T>(string name, Func<NodeInput, T?> get, Func<NodeInput, T?, NodeInput> set, Func<Node, T?> fromNode, Func<T, string>? text = null)
        where T : class => new(name, i => get(i), (i, v) => set(i, (T?)v), n => fromNode(n), v => (text ?? (x => x.ToString() ?? ""))((T)v));

    public static RoleField OfValue<T>(string name, Func<NodeInput, T?> get, Func<NodeInput, T?, NodeInput> set, Func<Node, T?> fromNode)
        where T : struct, IFormattable => new(name, i => get(i), (i, v) => set(i, (T?)v), n => fromNode(n), v => ((T)v).ToString(null, CultureInfo.InvariantCulture));
}

/// <summary>Everything about one role in one place: its fields, their validation into the role's spec, and their
/// projection to and from requests. A new field of a role touches its module, a migration (the store's column) and the
/// API contract.</summary>
internal abstract class RoleModule
{
    public abstract NodeRole Role { get; }

    private IReadOnlyList<RoleField>? _fields;

    /// <summary>The node's fields in this role: the role's own, then those every role has (<see cref="SshFields"/>), in
    /// the order the event log prints them.</summary>
    public IReadOnlyList<RoleField> Fields => _fields ??= [.. OwnFields, .. SshFields.All];

    /// <summary>The role's own fields.</summary>
    protected abstract IReadOnlyList<RoleField> OwnFields { get; }

    /// <summary>The node with this role's spec made from the request's fields; every problem goes to <paramref name="errors"/>.</summary>
    public abstract Node WithSpec(Node node, NodeInput input, Network? network, List<FieldError> errors);

    /// <summary>The node <see cref="WithSpec"/> built, with what the role keeps from <paramref name="existing"/> that no
    /// request sets (e.g. an instance's lifecycle state).</summary>
    public virtual Node Carry(Node built, Node? existing) => built;

    /// <summary>The node's own field values laid into <paramref name="input"/>.</summary>
    public NodeInput Project(Node node, NodeInput input)
    {
        foreach (var field in Fields)
        {
            input = field.Set(input, field.FromNode(node));
        }

        return input;
    }

    protected static void Positive(long? value, string field, long max, List<FieldError> errors)
    {
        if (value is not null && (value <= 0 || value > max))
        {
            errors.Add(new FieldError(field, string.Create(CultureInfo.InvariantCulture, $"{field} is 1-{max}")));
        }
    }

    /// <summary>A Linux interface name (IFNAMSIZ - 1 characters, not '.' or '..', no '/', ':' or white space).</summary>
    protected static bool IsInterfaceName(string name) =>
        name.Length is > 0 and <= 15 && name is not "." and not ".." && name.All(c => c > ' ' && c < 127 && c is not '/' and not ':');

    protected static bool IsAbsolutePath(string? path) =>
        !string.IsNullOrWhiteSpace(path) && path.StartsWith('/') && !path.Split('/').Contains("..") && !path.Any(char.IsControl);
}
