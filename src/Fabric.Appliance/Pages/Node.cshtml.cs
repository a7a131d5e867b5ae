using Fabric.Appliance.Boot;
using Fabric.Boot;
using Fabric.Core;
using Fabric.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Fabric.Appliance.Pages;

/// <summary>One node: its fields, its event log, a rendered boot template, and a form to set its role and root
/// (how an operator adopts a discovered machine).</summary>
public sealed class NodeModel(IRegistry registry, IBootContextFactory contexts, IBootRenderer renderer) : PageModel
{
    public sealed class ChangeForm
    {
        public string? Role { get; set; }

        public string? Root { get; set; }
    }

    [BindProperty]
    public ChangeForm Change { get; set; } = new();

    [TempData]
    public string? Notice { get; set; }

    public Node Node { get; private set; } = null!;

    public IReadOnlyList<NodeEvent> Events { get; private set; } = [];

    public IReadOnlyList<string> Templates { get; private set; } = [];

    public string Template { get; private set; } = string.Empty;

    public RenderResult? Rendered { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name, string? template, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(name, template, cancellationToken))
        {
            return NotFound();
        }

        Change.Role ??= Node.Role.ToWire();
        Change.Root ??= Node.Hardware?.Root?.ToString();
        return Page();
    }

    public async Task<IActionResult> OnPostChangeAsync(string name, CancellationToken cancellationToken)
    {
        var node = registry.FindNode(name);
        if (node is null)
        {
            return NotFound();
        }

        var changes = new NodeInput
        {
            Role = string.IsNullOrWhiteSpace(Change.Role) ? null : Change.Role.Trim(),
            Root = string.IsNullOrWhiteSpace(Change.Root) ? null : Change.Root.Trim(),
            State = node.State == NodeState.Discovered ? NodeState.Registered.ToWire() : null,
        };
        var result = await registry.UpdateNodeAsync(name, changes, Web.WebActor.Name, cancellationToken);
        if (!result.Succeeded)
        {
            foreach (var error in result.Error.Errors)
            {
                var field = error.Field switch
                {
                    "role" => "Change.Role",
                    "root" => "Change.Root",
                    _ => string.Empty,
                };
                ModelState.AddModelError(field, error.Reason);
            }

            await LoadAsync(name, null, cancellationToken);
            return Page();
        }

        Notice = $"Updated {name}.";
        return RedirectToPage(new { name });
    }

    private async Task<bool> LoadAsync(string name, string? template, CancellationToken cancellationToken)
    {
        var node = registry.FindNode(name);
        if (node is null)
        {
            return false;
        }

        Node = node;
        var events = await registry.ListEventsAsync(name, 200, cancellationToken);
        Events = events.Succeeded ? events.Value.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).ToArray() : [];
        Templates = renderer.TemplateNames.Order(StringComparer.Ordinal).ToArray();
        Template = template is not null && Templates.Contains(template, StringComparer.Ordinal) ? template : Fabric.Boot.BootTemplates.IpxeFor(node);

        // Rendered as for a request from elsewhere: the preview never shows the node's boot token.
        var context = await contexts.ForNodeAsync(name, requester: null, cancellationToken);
        Rendered = context is null ? null : renderer.Render(Template, context);
        return true;
    }
}
