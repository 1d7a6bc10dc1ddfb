// members: next
